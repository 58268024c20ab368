/**
 * A plain-text table: header row, then rows, columns padded to their widest cell. `paint` may
 * decorate a cell after padding (colour codes would otherwise count as width).
 */
export function table(
  header: string[],
  rows: (string | number)[][],
  paint: (padded: string, row: number, column: number) => string = (padded) => padded,
): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[], index: number) =>
    row
      .map((cell, column) => {
        const padded = cell.padEnd(widths[column] ?? 0);
        return index < 0 ? padded : paint(padded, index, column);
      })
      .join('  ')
      .trimEnd();
  return [
    line(header, -1),
    line(
      widths.map((w) => '-'.repeat(w)),
      -1,
    ),
    ...cells.slice(1).map((row, index) => line(row, index)),
  ].join('\n');
}
