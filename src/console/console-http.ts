/** True when an If-None-Match header lists this ETag (weak or strong) or `*`. */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) {
    return false;
  }
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}

/** True when Accept-Encoding allows gzip (listed without `q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) {
    return false;
  }
  return header.split(',').some((part) => {
    const [coding, ...params] = part.toLowerCase().split(';');
    if (coding.trim() !== 'gzip') {
      return false;
    }
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
