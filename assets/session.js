// When the server answers a Dash request with 401 (idle timeout, logout in another tab, disabled user,
// revoked wall token), go to the login page instead of leaving a dashboard that silently stops updating.
(function () {
  var originalFetch = window.fetch;
  window.fetch = function (resource) {
    return originalFetch.apply(this, arguments).then(function (response) {
      var url = typeof resource === "string" ? resource : (resource && resource.url) || "";
      if (response.status === 401 && url.indexOf("/_dash-") !== -1) {
        var next = window.location.pathname + window.location.search;
        window.location.assign("/login?msg=expired&next=" + encodeURIComponent(next));
      }
      return response;
    });
  };
})();
