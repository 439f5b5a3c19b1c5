// The shape of the params a client sends with a document request or notification (issue 13):
// vscode-jsonrpc hands them on as they came, and a field of the wrong type deep in a feature
// would surface as "Cannot read properties of undefined" or, worse, as an empty answer that looks
// like "nothing here". Checked once at the door, a wrong field is named in an InvalidParams
// error (requests) or in the log (notifications, which have no answer).

/** What a message must carry besides `textDocument.uri`. */
export type ParamShape = 'document' | 'position' | 'codeAction' | 'didOpen' | 'didChange';

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
/** LSP's uinteger. */
const isUinteger = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2 ** 31 - 1;

function positionProblem(v: unknown, at: string): string | undefined {
  if (!isObject(v)) return `${at} is missing or not an object`;
  if (!isUinteger(v.line)) return `${at}.line is not a non-negative integer`;
  if (!isUinteger(v.character)) return `${at}.character is not a non-negative integer`;
  return undefined;
}

function rangeProblem(v: unknown, at: string): string | undefined {
  if (!isObject(v)) return `${at} is missing or not an object`;
  return positionProblem(v.start, `${at}.start`) ?? positionProblem(v.end, `${at}.end`);
}

/** What is wrong with `params` for a message of this shape, naming the field, or undefined. */
export function paramsProblem(params: unknown, shape: ParamShape): string | undefined {
  if (!isObject(params)) return 'params is missing or not an object';
  const doc = params.textDocument;
  if (!isObject(doc)) return 'params.textDocument.uri is missing (params.textDocument is not an object)';
  if (typeof doc.uri !== 'string') return 'params.textDocument.uri is missing or not a string';
  switch (shape) {
    case 'document':
      return undefined;
    case 'position':
      return positionProblem(params.position, 'params.position');
    case 'codeAction':
      return rangeProblem(params.range, 'params.range')
        ?? (isObject(params.context) && Array.isArray(params.context.diagnostics) ? undefined : 'params.context.diagnostics is missing or not an array');
    case 'didOpen':
      if (typeof doc.languageId !== 'string') return 'params.textDocument.languageId is missing or not a string';
      if (!Number.isInteger(doc.version)) return 'params.textDocument.version is not an integer';
      return typeof doc.text === 'string' ? undefined : 'params.textDocument.text is missing or not a string';
    case 'didChange': {
      if (doc.version !== null && !Number.isInteger(doc.version)) return 'params.textDocument.version is not an integer';
      const changes = params.contentChanges;
      if (!Array.isArray(changes)) return 'params.contentChanges is missing or not an array';
      for (let i = 0; i < changes.length; i++) {
        const c: unknown = changes[i];
        if (!isObject(c) || typeof c.text !== 'string') return `params.contentChanges[${i}].text is missing or not a string`;
        if (c.range !== undefined) {
          const problem = rangeProblem(c.range, `params.contentChanges[${i}].range`);
          if (problem) return problem;
        }
      }
      return undefined;
    }
  }
}
