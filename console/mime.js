// Just enough MIME to preview a captured message: finds the first text/html and text/plain parts
// (nested multiparts, base64, quoted-printable, charsets). Attachments are skipped.

const MAX_DEPTH = 8;

function splitEntity(source) {
  const match = /\r?\n\r?\n/.exec(source);
  if (match === null) {
    return { head: source, body: '' };
  }
  return { head: source.slice(0, match.index), body: source.slice(match.index + match[0].length) };
}

function parseHeaders(head) {
  const headers = new Map();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) {
        headers.set(name, line.slice(colon + 1).trim());
      }
    }
  }
  return headers;
}

/** `text/html; charset="utf-8"` → { value: 'text/html', params: { charset: 'utf-8' } } */
export function parseHeaderValue(header) {
  const [value = '', ...rest] = (header ?? '').split(';');
  const params = {};
  const re = /\s*([^=\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  let m;
  const tail = rest.join(';');
  while ((m = re.exec(tail)) !== null) {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return { value: value.trim().toLowerCase(), params };
}

function splitMultipart(body, boundary) {
  const parts = [];
  const delimiter = `--${boundary}`;
  let current = null;
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith(delimiter)) {
      const rest = line.slice(delimiter.length);
      if (current !== null) {
        parts.push(current.join('\r\n'));
      }
      if (rest.startsWith('--')) {
        return parts;
      }
      current = [];
    } else if (current !== null) {
      current.push(line);
    }
  }
  if (current !== null) {
    parts.push(current.join('\r\n'));
  }
  return parts;
}

function decodeBytes(bytes, charset) {
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function base64Bytes(text) {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, '');
  const binary = atob(clean.slice(0, clean.length - (clean.length % 4)));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

function quotedPrintableBytes(text) {
  const source = text.replace(/[ \t]+(?=\r?\n)/g, '').replace(/=\r?\n/g, '');
  const out = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(source.slice(i + 1, i + 3))) {
      out.push(parseInt(source.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(...encoder.encode(c));
    }
  }
  return new Uint8Array(out);
}

function decodeBody(body, encoding, charset) {
  switch ((encoding ?? '7bit').trim().toLowerCase()) {
    case 'base64':
      return decodeBytes(base64Bytes(body), charset);
    case 'quoted-printable':
      return decodeBytes(quotedPrintableBytes(body), charset);
    default:
      // 7bit/8bit/binary: the API already gave us characters.
      return body;
  }
}

function walk(source, out, depth) {
  if (depth > MAX_DEPTH) {
    return;
  }
  const { head, body } = splitEntity(source);
  const headers = parseHeaders(head);
  const type = parseHeaderValue(headers.get('content-type') ?? 'text/plain; charset=us-ascii');
  const disposition = parseHeaderValue(headers.get('content-disposition'));
  if (disposition.value === 'attachment') {
    return;
  }
  if (type.value.startsWith('multipart/') && type.params.boundary) {
    for (const part of splitMultipart(body, type.params.boundary)) {
      walk(part, out, depth + 1);
    }
    return;
  }
  const encoding = headers.get('content-transfer-encoding');
  if (type.value === 'text/html' && out.html === null) {
    out.html = decodeBody(body, encoding, type.params.charset);
  } else if (type.value === 'text/plain' && out.text === null) {
    out.text = decodeBody(body, encoding, type.params.charset);
  }
}

/** @returns {{ html: string | null, text: string | null }} */
export function parseMime(raw) {
  const out = { html: null, text: null };
  if (typeof raw === 'string' && raw !== '') {
    walk(raw, out, 0);
  }
  return out;
}
