// Security keys (WebAuthn) on Lockstep's hosted pages. No dependencies.
//
// Each <button data-webauthn="create|get"> runs one ceremony on click:
//  1. POST its form (data-form) to data-options-url and read the options
//     as go-webauthn sends them: {"publicKey": {...}} with base64url fields
//     (a redirect to a page instead, such as a re-verification, is followed);
//  2. ask the browser for a credential (navigator.credentials.create/get);
//  3. put the credential, as the JSON go-webauthn parses, into the form's
//     "response" input and submit the form.
// On failure the element named by data-error shows its data-message (or a
// default) and the button works again.
(function () {
  'use strict';

  var FAILED = 'The security key did not answer. Try again, or use another method.';

  function fromB64url(s) {
    var bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function decodeOptions(pk) {
    pk.challenge = fromB64url(pk.challenge);
    if (pk.user) pk.user.id = fromB64url(pk.user.id);
    ['excludeCredentials', 'allowCredentials'].forEach(function (list) {
      (pk[list] || []).forEach(function (c) { c.id = fromB64url(c.id); });
    });
    return pk;
  }

  function encodeCredential(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: { clientDataJSON: toB64url(r.clientDataJSON) },
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    };
    if (r.attestationObject) { // create
      out.response.attestationObject = toB64url(r.attestationObject);
      if (typeof r.getTransports === 'function') out.response.transports = r.getTransports();
    } else { // get
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    return out;
  }

  function run(btn, form) {
    var errEl = document.getElementById(btn.getAttribute('data-error'));
    var fail = function (err) {
      if (window.console && err) console.warn('webauthn:', err);
      if (errEl) {
        errEl.textContent = errEl.getAttribute('data-message') || FAILED;
        errEl.hidden = false;
      }
      btn.disabled = false;
    };
    if (errEl) errEl.hidden = true;
    if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) return fail('not supported');
    btn.disabled = true;
    fetch(btn.getAttribute('data-options-url'), {
      method: 'POST',
      body: new FormData(form),
      credentials: 'same-origin',
      headers: { Accept: 'application/json' }
    }).then(function (res) {
      // Sent elsewhere instead (the account page's "Confirm it's you" for a
      // session that is not fresh any more): the browser goes there, and comes
      // back to this page when it is done.
      if (res.ok && res.redirected && (res.headers.get('Content-Type') || '').indexOf('text/html') === 0) {
        window.location.assign(res.url);
        return new Promise(function () {});
      }
      if (!res.ok) throw new Error('options: HTTP ' + res.status);
      return res.json();
    }).then(function (opts) {
      var publicKey = decodeOptions(opts.publicKey);
      return btn.getAttribute('data-webauthn') === 'create'
        ? navigator.credentials.create({ publicKey: publicKey })
        : navigator.credentials.get({ publicKey: publicKey });
    }).then(function (cred) {
      if (!cred) throw new Error('no credential');
      form.elements.response.value = JSON.stringify(encodeCredential(cred));
      form.submit(); // the button stays disabled while the page changes
    }).catch(fail);
  }

  document.querySelectorAll('[data-webauthn]').forEach(function (btn) {
    var form = document.getElementById(btn.getAttribute('data-form'));
    if (!form) return;
    btn.addEventListener('click', function () { run(btn, form); });
    // Enter in a text field would submit the form without a response.
    form.addEventListener('submit', function (e) {
      if (form.elements.response.value) return;
      e.preventDefault();
      if (!btn.disabled) run(btn, form);
    });
  });

  // Coming back with the Back button: the page may be restored as it was.
  window.addEventListener('pageshow', function (e) {
    if (!e.persisted) return;
    document.querySelectorAll('[data-webauthn]').forEach(function (btn) {
      var form = document.getElementById(btn.getAttribute('data-form'));
      if (form) form.elements.response.value = '';
      btn.disabled = false;
    });
  });
})();
