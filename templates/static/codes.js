// Lockstep: "Copy" for the recovery codes.
//
// A button with data-copy="ID" copies the text of the element ID (one code per
// line) to the clipboard and says so in its live status. Without JavaScript, or
// without clipboard access, the button stays hidden and "Download" and selecting
// the codes still work. The page gives the status texts in its language
// (data-copied, data-copy-failed).
(function () {
  'use strict';
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var list = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-status') || '');
    if (!list || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener('click', function () {
      var codes = Array.prototype.map.call(list.querySelectorAll('code'), function (c) {
        return c.textContent.trim();
      });
      navigator.clipboard.writeText(codes.join('\n') + '\n').then(function () {
        if (status) {
          status.textContent = button.getAttribute('data-copied') || 'Copied.';
        }
      }, function () {
        if (status) {
          status.textContent = button.getAttribute('data-copy-failed') || 'Copying did not work: select the codes instead.';
        }
      });
    });
  });
})();
