// Qiantang hub: the only script. Remembers the reader's market and applies it.
(function () {
  var sel = document.getElementById('market');
  if (!sel) return;
  sel.addEventListener('change', function () {
    document.cookie = 'market=' + encodeURIComponent(sel.value) + '; Path=/; Max-Age=31536000; SameSite=Lax';
    var u = new URL(window.location.href);
    u.searchParams.set('market', sel.value);
    window.location.href = u.toString();
  });
})();
