/**
 * Label names typed as one text (a form field): separated by commas, ASCII "," full-width "，",
 * ideographic "、" or its half-width form "､", or by line breaks; each trimmed, empty ones dropped,
 * a repeated name kept once. "正面，负面" is two labels, not one.
 */
export function labelsFrom(text: string): string[] {
  const names = text.split(/[,\uFF0C\u3001\uFF64\r\n]/).map((l) => l.trim()).filter(Boolean);
  return [...new Set(names)];
}

/** "1 annotation", "3 annotations". */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? noun : many}`;
}
