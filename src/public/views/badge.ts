import { html, type SafeHtml } from '../../html.js';

/** A badge of the count for other web pages: "MAGAMED signed | 1,234". */
export function badgeSvg(action: { keyword: string; signatureCount: number }): SafeHtml {
  const label = `${action.keyword} signed`;
  const value = action.signatureCount.toLocaleString('en-GB');
  // About 7 px a character at 11 px Verdana; exact widths do not matter for a badge.
  const left = 10 + label.length * 7;
  const right = 10 + value.length * 8;
  return html`<svg xmlns="http://www.w3.org/2000/svg" width="${left + right}" height="20" role="img"
  aria-label="${label}: ${value}">
<title>${label}: ${value}</title>
<rect width="${left}" height="20" fill="#555"/><rect x="${left}" width="${right}" height="20" fill="#146c2e"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">
<text x="${left / 2}" y="14">${label}</text><text x="${left + right / 2}" y="14">${value}</text></g>
</svg>`;
}
