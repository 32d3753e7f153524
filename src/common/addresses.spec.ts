import { domainOf, needsSmtpUtf8, parseMailbox } from './addresses';

describe('parseMailbox', () => {
  it.each<[unknown, { name?: string; email: string }]>([
    ['ada@example.com', { email: 'ada@example.com' }],
    ['  ada@example.com ', { email: 'ada@example.com' }],
    ['Ada Lovelace <ada@example.com>', { name: 'Ada Lovelace', email: 'ada@example.com' }],
    ['"Lovelace, Ada" <ada@example.com>', { name: 'Lovelace, Ada', email: 'ada@example.com' }],
    ['<ada@example.com>', { email: 'ada@example.com' }],
    ['张伟 <zhang@example.cn>', { name: '张伟', email: 'zhang@example.cn' }],
    [
      { name: 'Ada', email: 'ada@example.com' },
      { name: 'Ada', email: 'ada@example.com' },
    ],
    [{ email: 'ada@example.com' }, { email: 'ada@example.com' }],
    ['ops@例子.中国', { email: 'ops@xn--fsqu00a.xn--fiqs8s' }],
    ['a@example.xn--fiqs8s', { email: 'a@example.xn--fiqs8s' }],
    ['Ops <ops@BÜCHER.de>', { name: 'Ops', email: 'ops@xn--bcher-kva.de' }],
    ['用户@例子.中国', { email: '用户@xn--fsqu00a.xn--fiqs8s' }],
    ['a+tag@sub.example.co.uk', { email: 'a+tag@sub.example.co.uk' }],
    ['root@localhost', { email: 'root@localhost' }],
  ])('accepts %j', (input, expected) => {
    expect(parseMailbox(input)).toEqual({ ok: true, value: expected });
  });

  it.each<[unknown, RegExp, 'name' | 'email']>([
    ['team: a@example.com, b@example.com;', /not a group/, 'email'],
    ['a@example.com, b@example.com', /one address \(found 2\)/, 'email'],
    ['a@example.com\r\nBcc: x@evil.test', /CR, LF or NUL/, 'email'],
    ['Ada\n <ada@example.com>', /CR, LF or NUL/, 'email'],
    [{ name: 'Ada\r\nBcc: x@evil.test', email: 'ada@example.com' }, /CR, LF or NUL/, 'name'],
    // Found by the hostile-input fuzz: a leading CR was trimmed away instead of refused.
    [{ name: '\rAda Lovelace', email: 'ada@example.com' }, /CR, LF or NUL/, 'name'],
    [{ name: 'Ada', email: '\rada@example.com' }, /CR, LF or NUL/, 'email'],
    [{ name: 7, email: 'ada@example.com' }, /string/, 'name'],
    [{ email: 'Ada <ada@example.com>' }, /local part/, 'email'],
    [
      `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.com`,
      /254 octets/,
      'email',
    ],
    [`${'a'.repeat(65)}@example.com`, /local part/, 'email'],
    ['a b@example.com', /Name <address>/, 'email'],
    ['a@b.c <d@example.com>', /Name <address>/, 'email'],
    ['ada@', /local@domain/, 'email'],
    ['ada@example', /domain/, 'email'],
    ['ada@exa_mple.com', /domain/, 'email'],
    ['ada@-example.com', /domain/, 'email'],
    ['ada..x@example.com', /local part/, 'email'],
    ['', /email address/, 'email'],
    [42, /email address/, 'email'],
  ])('refuses %j', (input, problem, part) => {
    const result = parseMailbox(input);
    expect(result).toMatchObject({ ok: false, part });
    expect(result.ok ? '' : result.problem).toMatch(problem);
  });

  it('tells which addresses need SMTPUTF8 and reads their domain', () => {
    expect(needsSmtpUtf8('用户@xn--fsqu00a.xn--fiqs8s')).toBe(true);
    expect(needsSmtpUtf8('ops@xn--fsqu00a.xn--fiqs8s')).toBe(false);
    expect(domainOf('ops@xn--fsqu00a.xn--fiqs8s')).toBe('xn--fsqu00a.xn--fiqs8s');
  });
});
