// Parses an AsyncAPI document with the official parser (@asyncapi/parser, pinned in package.json) and
// prints its diagnostics as one JSON line: {"valid": bool, "diagnostics": [{severity, code, message, path}]}.
// Exit 0: no error (warnings and hints are reported, not fatal); 1: errors; 2: usage or an unreadable file.
// Run by tests/domain/test_asyncapi.py: `node scripts/asyncapi/validate.mjs schemas/asyncapi.yaml`.
import { resolve } from 'node:path';
import { Parser, fromFile, DiagnosticSeverity } from '@asyncapi/parser';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate.mjs ASYNCAPI.yaml');
  process.exit(2);
}
const severities = { [DiagnosticSeverity.Error]: 'error', [DiagnosticSeverity.Warning]: 'warning',
                     [DiagnosticSeverity.Information]: 'information', [DiagnosticSeverity.Hint]: 'hint' };
try {
  // Relative $refs (the JSON Schemas beside the document) resolve against the file's own path.
  const { document, diagnostics } = await fromFile(new Parser(), resolve(file)).parse();
  const found = diagnostics.map((d) => ({ severity: severities[d.severity] ?? String(d.severity), code: d.code,
                                          message: d.message, path: d.path.join('/') }));
  const valid = document !== undefined && !found.some((d) => d.severity === 'error');
  console.log(JSON.stringify({ valid, diagnostics: found }));
  process.exit(valid ? 0 : 1);
} catch (error) {
  console.error(`cannot parse ${file}: ${error.message}`);
  process.exit(2);
}
