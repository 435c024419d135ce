/**
 * Test support: writes a small, valid one-page PDF (Helvetica text, one line per entry, a correct xref table), so
 * tests exercise the real PDF reader on a file made in the test rather than a binary blob nobody can review.
 */
export function makePdf(lines: readonly string[]): Buffer {
  const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const ops = lines.map((l, i) => `${i === 0 ? '72 720 Td' : '0 -18 Td'} (${escape(l)}) Tj`).join('\n');
  const stream = `BT\n/F1 12 Tf\n${ops}\nET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A two-rule policy document (`policies.1`, `policies.2` once saved as policies.pdf), for the judge tests. */
export const ACME_POLICY_LINES = [
  'Acme data policy',
  '1. Never include customer account numbers in answers.',
  '2. Do not mention internal project code names such as Falcon.',
] as const;
