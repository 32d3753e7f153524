/**
 * The TypeScript type of an answer's schema (OpenAPI 3.0 dialect, written `as const`), so the
 * schema the document shows is also the type the code that builds the answer must satisfy.
 * `Refs` gives the type of each `#/components/schemas/<name>` the schema points to. An object
 * without `required` lists the fields every answer carries: all of them are required here.
 */
export type SchemaType<S, Refs = Record<never, never>> = S extends { nullable: true }
  ? NonNullSchemaType<S, Refs> | null
  : NonNullSchemaType<S, Refs>;

type NonNullSchemaType<S, Refs> = S extends { $ref: `#/components/schemas/${infer Name}` }
  ? Name extends keyof Refs
    ? Refs[Name]
    : never
  : S extends { allOf: readonly [infer Only] }
    ? SchemaType<Only, Refs>
    : S extends { enum: ReadonlyArray<infer Value> }
      ? Value
      : S extends { type: 'string' }
        ? string
        : S extends { type: 'integer' | 'number' }
          ? number
          : S extends { type: 'boolean' }
            ? boolean
            : S extends { type: 'array'; items: infer Item }
              ? Array<SchemaType<Item, Refs>>
              : S extends { type: 'object'; properties: infer Properties }
                ? ObjectType<
                    Properties,
                    S extends { required: ReadonlyArray<infer R> } ? R : keyof Properties,
                    Refs
                  >
                : S extends { type: 'object' }
                  ? Record<string, unknown>
                  : unknown;

type ObjectType<Properties, Required, Refs> = {
  -readonly [K in keyof Properties as K extends Required ? K : never]: SchemaType<
    Properties[K],
    Refs
  >;
} & {
  -readonly [K in keyof Properties as K extends Required ? never : K]?: SchemaType<
    Properties[K],
    Refs
  >;
};
