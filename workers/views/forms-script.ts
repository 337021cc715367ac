/**
 * The only JavaScript our own pages run, served as /assets/forms.js so the CSP can forbid
 * inline scripts. It is progressive enhancement: every form works without it. It moves
 * focus to the error summary after a failed submit (keyboard and screen-reader users land
 * on what went wrong) and, on a fresh sign-up form, picks the browser's time zone (which a
 * browser may name in an older spelling, Asia/Calcutta: options list those as data-aliases).
 */
export const FORMS_SCRIPT = `(function () {
  var summary = document.getElementById('error-summary');
  if (summary) summary.focus();
  var select = document.querySelector('select[data-detect-time-zone]');
  if (!select) return;
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    var known = null;
    for (var i = 0; i < select.options.length && !known; i++) {
      var aliases = (select.options[i].getAttribute('data-aliases') || '').split(' ');
      if (select.options[i].value === zone || aliases.indexOf(zone) >= 0) known = select.options[i].value;
    }
    if (!known) {
      var option = document.createElement('option');
      option.value = zone;
      option.textContent = zone.replace(/_/g, ' ');
      select.appendChild(option);
    }
    select.value = known || zone;
  } catch (error) {}
})();
`;
