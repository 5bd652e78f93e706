"""The pages' one stylesheet: large readable text on screen, and a print layout for A4 paper."""

from __future__ import annotations

from typing import Final

PAGE_CSS: Final = """
:root { --ink: #1a1a1a; --muted: #555; --line: #c8c8c8; --ok: #009E73; --warn: #E69F00; --bad: #B03A00;
        --shade: #f3f3f3; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; font-size: 18px;
       color: var(--ink); background: #fff; line-height: 1.45; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.8rem; margin: 0 0 .3rem; }
h2 { font-size: 1.35rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1rem 0 .3rem; }
p, li { max-width: 52rem; }
.facts { color: var(--muted); margin: 0 0 1rem; }
.verdict { font-size: 1.3rem; font-weight: 600; background: var(--shade); border-left: 6px solid var(--ok);
           padding: .8rem 1rem; margin: 1rem 0; }
.verdict.fault { border-left-color: var(--bad); }
.verdict p { margin: .2rem 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .95rem; }
caption { text-align: left; color: var(--muted); padding-bottom: .3rem; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--shade); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.yes { color: var(--ok); font-weight: 600; }
.no { color: var(--bad); font-weight: 600; }
.chart svg { width: 100%; height: auto; display: block; }
.chart { margin: .5rem 0 1.2rem; break-inside: avoid; page-break-inside: avoid; }
.legend { color: var(--muted); font-size: .9rem; }
.thumbs { display: flex; flex-wrap: wrap; gap: .8rem; }
figure { margin: 0; width: 15rem; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); display: block; }
figcaption { font-size: .85rem; color: var(--muted); }
.note { color: var(--muted); font-size: .9rem; }
.calendar { width: auto; margin: 0 0 .4rem; font-size: .75rem; }
.calendar th, .calendar td { width: 1.7rem; height: 1.5rem; text-align: center; padding: 0; }
.calendar td.done { background: #56B4E9; color: #000; font-weight: 700; }
.calendar td.none { background: #fff; }
.calendar td.out { background: var(--shade); color: #aaa; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  html { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, tr { break-inside: avoid; page-break-inside: avoid; }
  .verdict { border: 1px solid #999; border-left-width: 6px; }
  a { color: inherit; }
  a[href]::after { content: " (" attr(href) ")"; font-size: .85em; }
}
"""
