// CSV as RFC 4180 writes it: comma-separated, "quoted" fields with "" for a quote, line breaks inside quotes.

/** One record and the line it starts on (1-based), for messages. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** Thrown with the line where the text stops being CSV. */
export class CsvError extends Error {
  override name = 'CsvError';
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

/** Every record of `text` (blank lines skipped); a quote left open or text after a closing quote is a CsvError. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let afterQuote = false;
  let empty = true;
  const endField = () => {
    fields.push(field);
    field = '';
    afterQuote = false;
  };
  const endRecord = () => {
    endField();
    if (!(empty && fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
    fields = [];
    empty = true;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
        afterQuote = true;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') continue;
    if (c === '\n' || c === '\r') {
      endRecord();
      line++;
      start = line;
      continue;
    }
    if (c === ',') {
      endField();
      empty = false;
      continue;
    }
    if (afterQuote) throw new CsvError(line, 'text after a closing quote (a quote inside a field is written "")');
    if (c === '"' && field === '') {
      quoted = true;
      empty = false;
      continue;
    }
    field += c;
    empty = false;
  }
  if (quoted) throw new CsvError(start, 'a quoted field is never closed');
  if (field !== '' || fields.length > 0 || !empty) endRecord();
  return records;
}
