/**
 * The forms in which a secret value can reach a message: as is, URL-encoded (percent-escapes in
 * upper or lower case, and as a form body with `+` for spaces), JSON-escaped (once, twice, with
 * `\/`), and base64 (standard and url-safe). Each form escapes a value character by character, so a
 * fragment of the value appears as a fragment of the form; base64 groups bytes by three, so its
 * forms are taken at each of the three alignments a fragment can start at, keeping only the
 * characters that depend on the value's bytes alone.
 */
export function encodedForms(value: string): string[] {
  const uri = encodeURIComponent(value);
  const json = JSON.stringify(value).slice(1, -1);
  const forms = [
    value,
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    new URLSearchParams({ v: value }).toString().slice(2),
    json,
    json.replace(/\//g, '\\/'),
    JSON.stringify(json).slice(1, -1),
    ...base64Forms(value),
  ];
  return [...new Set(forms)];
}

function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3 && offset < bytes.length; offset += 1) {
    const aligned = bytes.subarray(offset, offset + Math.floor((bytes.length - offset) / 3) * 3);
    if (aligned.length === 0) continue;
    const standard = aligned.toString('base64');
    forms.push(standard, standard.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}
