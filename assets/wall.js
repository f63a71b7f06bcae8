/* Video wall (pages/wall.py): clientside callbacks for canvas scaling, the clock, the carousel, the
 * refresh gate and the scheduled reload. Dash loads every asset on every page, so nothing here acts
 * unless the wall's elements are present. */
(function () {
  "use strict";
  var WEEKDAYS = ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"];
  var config = null;      // the wall-config store, kept for resize events
  var pulseAt = 0;        // when the gate last let a refresh pulse through

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* Scale the fixed design canvas to the window: "fit" letterboxes (uniform scale, centred), "fill"
   * stretches to cover the whole window. A static scale transform keeps text and SVG vector-sharp. */
  function applyFit() {
    var canvas = document.getElementById("wall-canvas");
    if (!canvas || !config) { return null; }
    var w = window.innerWidth, h = window.innerHeight;
    var sx = w / config.width, sy = h / config.height, x = 0, y = 0;
    if (config.mode === "fit") {
      sx = sy = Math.min(sx, sy);
      x = (w - config.width * sx) / 2;
      y = (h - config.height * sy) / 2;
    }
    canvas.style.transform = "translate(" + x + "px, " + y + "px) scale(" + sx + ", " + sy + ")";
    return {sx: sx, sy: sy, x: x, y: y, mode: config.mode};
  }

  window.addEventListener("resize", applyFit);

  /* First render: on /wall, start loading plotly.js and the map's world topology now, while Dash is
   * still fetching the layout and running the page router, instead of after the first graph mounts.
   * dcc.Graph waits on window.Plotly when it is a promise (Promise.resolve) and loads the script itself
   * only when window.Plotly is unset; plotly.js replaces the promise with itself when it runs. The
   * topology goes where plotly.js looks before fetching it (window.PlotlyGeoAssets), and the promise
   * settles only when both are in, so plotly never fetches it a second time. Paths are Dash's own:
   * dash-renderer's plotly URL and the assets folder (pages/wall.py sets topojsonURL to assets/geo/). */
  function preloadPlotly() {
    var dashConfig = document.getElementById("_dash-config");
    if (window.Plotly || !dashConfig) { return; }
    var prefix = JSON.parse(dashConfig.textContent).requests_pathname_prefix || "/";
    if (window.location.pathname !== prefix + "wall") { return; }
    var script = new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = prefix + "_dash-component-suites/plotly/package_data/plotly.min.js";
      tag.async = true;
      tag.onload = function () { resolve(); };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
    var topology = fetch(prefix + "assets/geo/world_110m.json", {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (world) {
        if (world) {
          window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
          window.PlotlyGeoAssets.topojson.world_110m = world;
        }
      }, function () { return null; });  // plotly.js then fetches it itself
    window.Plotly = Promise.all([script, topology]);
  }

  preloadPlotly();

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    wall: {
      fit: function (cfg) {
        config = cfg;
        return applyFit();
      },

      /* Kaifeng's time (the warehouse's, data_access/clock.py), not the kiosk computer's zone: UTC shifted
       * by the configured offset, read with the UTC getters. */
      clock: function (_n, cfg) {
        var d = new Date(Date.now() + cfg.utc_offset_hours * 3600000);
        return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
          WEEKDAYS[d.getUTCDay()] + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" +
          pad(d.getUTCSeconds());
      },

      /* Next carousel screen; the index also goes into the URL (?screen=) so a reload comes back to it.
       * replaceState fires no event, so Dash's router does not re-render the page. */
      rotate: function (_n, current, cfg) {
        var next = ((current || 0) + 1) % cfg.screens;
        var url = new URL(window.location.href);
        url.searchParams.set("screen", String(next));
        window.history.replaceState(window.history.state, "", url.toString());
        var screens = [], tabs = [];
        for (var i = 0; i < cfg.screens; i++) {
          screens.push(i === next ? "wall-screen wall-active" : "wall-screen");
          tabs.push(i === next ? "wall-tab wall-active" : "wall-tab");
        }
        return [next].concat(screens, tabs);
      },

      /* Let a refresh pulse through only when every panel has answered the previous one (each panel's
       * callback echoes the pulse into its wall-done-* store), so refreshes never overlap. A pulse that
       * has gone unanswered for five intervals (a failed request) no longer blocks. */
      gate: function (n, pulse, cfg) {
        var done = Array.prototype.slice.call(arguments, 3);
        var busy = done.some(function (d) { return d !== pulse; });
        var now = Date.now();
        if (busy && now - pulseAt < 5 * cfg.refresh_ms) {
          return window.dash_clientside.no_update;
        }
        pulseAt = now;
        return n;
      },

      /* Scheduled full reload: frees the browser's memory on a 24×7 wall; the URL keeps the screen. */
      reload: function () {
        window.location.reload();
        return true;
      }
    }
  });
})();
