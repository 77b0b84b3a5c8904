// The admin page's HTML and CSS. The page has no inline script: CSP allows only /admin/app.js,
// which fills the table and handles every control (src/ui/app-script.ts).

const STYLE = `
:root{--muted:#57606a;--line:#d0d7de;--blue:#0b57d0;--red:#b3261e}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1b1f24}
header,main{max-width:76rem;margin:auto;padding:0 1rem}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid var(--line)}
h1{font-size:1.4rem}h2{font-size:1.15rem}
label{display:block;font-weight:600}
input,textarea,button{font:inherit}
input,textarea{width:100%;padding:.4rem .5rem;border:1px solid #8c959f;border-radius:6px}
button{padding:.4rem .9rem;border:1px solid var(--blue);border-radius:6px;background:var(--blue);color:#fff;cursor:pointer}
.plain{background:#fff;color:var(--blue)}
.danger{background:#fff;color:var(--red);border-color:var(--red)}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.grid{display:grid;gap:.8rem 1rem;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr))}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.hint{color:var(--muted);font-size:.875rem;font-weight:400;margin:.2rem 0 0}
.error{color:var(--red);font-size:.875rem;margin:.2rem 0 0}
.error:empty{display:none}
[aria-invalid=true]{border-color:var(--red)}
#alert{border:1px solid var(--red);color:var(--red);padding:.6rem .8rem;border-radius:6px;margin-top:1rem}
#secret{border:2px solid #9a6700;background:#fff4ce;padding:0 1rem 1rem;border-radius:8px}
#secret-value{font-family:ui-monospace,monospace;margin-bottom:.6rem}
.warn{color:#9a6700;font-weight:600}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.5rem .6rem;border-bottom:1px solid var(--line)}
thead th{font-size:.8rem;text-transform:uppercase;color:var(--muted)}
.nums{font-variant-numeric:tabular-nums;white-space:nowrap}
.detail>td{background:#f6f8fa;overflow-x:auto}
.detail table{background:#fff}
.detail table :is(td,th){white-space:nowrap}
caption{text-align:left}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media (max-width:44rem){
#tokens>thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
#tokens,#tokens>tbody{display:block}
#tokens>tbody>tr,#tokens>tbody>tr>*{display:block;border:0;padding:.15rem .6rem}
#tokens>tbody>tr:not(.detail){border-top:1px solid var(--line);padding:.5rem 0}
#tokens>tbody>tr>[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted)}
}`;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Join tokens</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
<script src="/admin/app.js" defer></script>
</head>
<body>
<header><h1>Join tokens</h1><button type="button" id="forget" class="plain" hidden>Forget API key</button></header>
<main>
<div id="alert" role="alert" hidden></div>
<p id="status" class="hint" role="status" aria-live="polite"></p>
<noscript><p>This page needs JavaScript.</p></noscript>

<section id="key-section" aria-labelledby="key-title" hidden>
<h2 id="key-title">Enter an API key</h2>
<form id="key-form">
<label for="api-key">API key</label>
<input id="api-key" name="api_key" type="password" autocomplete="off" spellcheck="false" aria-describedby="key-hint key-error">
<p id="key-hint" class="hint">Kept in this tab's session storage only, and sent as a Bearer token to this service.</p>
<p id="key-error" class="error"></p>
<p><button>Use key</button></p>
</form>
</section>

<div id="app" hidden>
<section aria-labelledby="create-title">
<h2 id="create-title">Create a token</h2>
<form id="create-form" novalidate>
<div class="grid">
<div><label for="f-name">Name</label><input id="f-name" name="name" required maxlength="256" autocomplete="off" aria-describedby="err-name"><p id="err-name" class="error"></p></div>
<div><label for="f-description">Description</label><textarea id="f-description" name="description" maxlength="1024" rows="1" aria-describedby="err-description"></textarea><p id="err-description" class="error"></p></div>
<div><label for="f-expires">Expires at (optional, your local time)</label><input id="f-expires" name="expires_at" type="datetime-local" aria-describedby="err-expires_at"><p id="err-expires_at" class="error"></p></div>
<div><label for="f-limit">Use limit (optional)</label><input id="f-limit" name="use_limit" type="number" min="1" step="1" inputmode="numeric" aria-describedby="hint-limit err-use_limit"><p id="hint-limit" class="hint">Joins allowed; empty means no limit.</p><p id="err-use_limit" class="error"></p></div>
</div>
<p><button id="create">Create token</button></p>
</form>
</section>

<section id="secret" aria-labelledby="secret-title" hidden>
<h2 id="secret-title">Token created</h2>
<p id="secret-warning" class="warn">Copy this token now: it will not be shown again. The service stores only its hash.</p>
<label for="secret-value">Join token</label>
<input id="secret-value" readonly autocomplete="off" spellcheck="false" aria-describedby="secret-warning">
<div class="row"><button type="button" id="copy">Copy token</button><button type="button" id="dismiss" class="plain">I have copied it, hide it</button><span id="copy-status" role="status"></span></div>
</section>

<section aria-labelledby="list-title">
<div class="row"><h2 id="list-title">Tokens</h2><button type="button" id="reload" class="plain">Reload</button></div>
<table id="tokens">
<caption class="sr">Join tokens in creation order</caption>
<thead><tr><th scope="col">Token name</th><th scope="col">Status</th><th scope="col">Count</th><th scope="col">Last used</th><th scope="col">Description</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
<tbody id="rows"></tbody>
</table>
<p id="empty" class="hint" hidden>No join tokens yet.</p>
<p><button type="button" id="more" class="plain" hidden>Load more</button></p>
</section>
</div>
</main>
</body>
</html>
`;
