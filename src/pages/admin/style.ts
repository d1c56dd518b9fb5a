/**
 * The dashboard's one style sheet, inline in every page and named in its CSP by its hash
 * (no `style` attribute anywhere: the charts colour their lines by class).
 */
export const ADMIN_STYLE = `
:root{color-scheme:light dark;--muted:#6b7280;--line:#d1d5db;--c1:#16a34a;--c2:#d97706;--c3:#7c3aed;--c4:#dc2626;--c5:#2563eb;--c6:#db2777}
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:0 1rem 2rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:baseline;border-bottom:1px solid var(--line);padding:.5rem 0}
header strong{margin-right:auto}
nav a{margin-right:.75rem}
a[aria-current]{font-weight:700;text-decoration:none}
form.inline{display:inline}
button{font:inherit}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.2rem .4rem;border-bottom:1px solid var(--line);vertical-align:top}
.n{text-align:right}
.muted{color:var(--muted)}
.bad{color:var(--c4);font-weight:600}
.warn{color:var(--c2);font-weight:600}
.good{color:var(--c1)}
[role=alert]{color:var(--c4);font-weight:600}
form.sign-in{display:grid;gap:.75rem;max-width:20rem}
form.sign-in input{font:inherit;padding:.4rem}
svg.chart{width:100%;height:auto;display:block;margin:.25rem 0 1rem}
svg text{font-size:11px;fill:currentColor}
.axis{stroke:var(--muted)}.grid{stroke:var(--line)}
path.line{fill:none;stroke-width:1.5;stroke-linecap:round;stroke-linejoin:round}
.s1{stroke:var(--c1)}.s2{stroke:var(--c2)}.s3{stroke:var(--c3)}.s4{stroke:var(--c4)}.s5{stroke:var(--c5)}.s6{stroke:var(--c6)}
.f1{fill:var(--c1)}.f2{fill:var(--c2)}.f3{fill:var(--c3)}.f4{fill:var(--c4)}.f5{fill:var(--c5)}.f6{fill:var(--c6)}
meter{width:6rem;vertical-align:middle}
td.share,td.actions{white-space:nowrap}
td.actions button{font-size:.85em}
`;
