/** A fenced code block of a Markdown file: its info string (` ```sh local ` -> `sh local`) and lines. */
export interface FencedBlock {
  info: string;
  lines: string[];
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

/** Every fenced block (``` or ~~~, at the start of a line) in a Markdown text. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  let open: { fence: string; info: string; line: number; lines: string[] } | undefined;
  markdown.split('\n').forEach((text, index) => {
    const fence = /^(`{3,}|~{3,})(.*)$/.exec(text);
    if (!open && fence) {
      open = { fence: fence[1] ?? '```', info: (fence[2] ?? '').trim(), line: index + 1, lines: [] };
    } else if (open && text.startsWith(open.fence) && text.trim() === open.fence) {
      blocks.push({ info: open.info, lines: open.lines, line: open.line });
      open = undefined;
    } else open?.lines.push(text);
  });
  return blocks;
}
