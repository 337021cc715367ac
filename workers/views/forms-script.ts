/**
 * The only JavaScript our own pages run, served as /assets/forms.js so the CSP can forbid
 * inline scripts. It is progressive enhancement: every form works without it. It moves
 * focus to the error summary after a failed submit (keyboard and screen-reader users land
 * on what went wrong) and, on a fresh sign-up form, picks the browser's time zone.
 */
export const FORMS_SCRIPT = `(function () {
  var summary = document.getElementById('error-summary');
  if (summary) summary.focus();
  var select = document.querySelector('select[data-detect-time-zone]');
  if (!select) return;
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    var known = false;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) { known = true; break; }
    }
    if (!known) {
      var option = document.createElement('option');
      option.value = zone;
      option.textContent = zone.replace(/_/g, ' ');
      select.appendChild(option);
    }
    select.value = zone;
  } catch (error) {}
})();
`;
