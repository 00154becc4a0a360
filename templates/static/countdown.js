// Lockstep: count down a "send again" button that must wait.
//
// A button with data-wait="N" is disabled for N seconds after a code or email was
// sent. This script updates its hint every second and enables the button when the
// wait is over, so nobody has to reload the page. Without JavaScript the button
// stays disabled and the hint says how long to wait; the server enforces the wait
// either way.
(function () {
  'use strict';
  document.querySelectorAll('button[data-wait]').forEach(function (button) {
    var left = parseInt(button.getAttribute('data-wait'), 10);
    if (!(left > 0)) {
      return;
    }
    var hint = document.getElementById(button.getAttribute('aria-describedby') || '');
    var text = hint ? hint.textContent : '';
    var tick = function () {
      left -= 1;
      if (left <= 0) {
        button.disabled = false;
        button.removeAttribute('aria-describedby');
        if (hint) {
          hint.hidden = true;
        }
        return;
      }
      if (hint) {
        hint.textContent = text.replace(/\d+ seconds?/, left === 1 ? '1 second' : left + ' seconds');
      }
      window.setTimeout(tick, 1000);
    };
    window.setTimeout(tick, 1000);
  });
})();
