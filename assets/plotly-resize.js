// A chart already the size of its box is not resized again (docs/pages.md § In the browser).
//
// After its first plot every dcc.Graph calls plotly.js's Plots.resize, and its ResizeObserver calls it again
// when it first reports; each call waits 100 ms and then relayouts the chart to its box's size
// ({autosize: true}: plotly.js's defaults for the whole figure computed again, the chart redrawn) — even when
// the first plot already drew the chart at that size, which is every chart of a page opened at a given window
// width. Here Plots.resize answers at once when the chart's box has the size plotly.js drew it at; a box that
// changed (the window resized, a layout that moved) is resized by plotly.js's own Plots.resize as before.
(function () {
  "use strict";
  function sameSize(gd) {
    var full = gd && gd._fullLayout;
    if (!full || !gd.isConnected) {
      return false;
    }
    var style = window.getComputedStyle(gd);  // a hidden chart's width is "auto": not the same
    return Math.abs(parseFloat(style.width) - full.width) <= 1 && Math.abs(parseFloat(style.height) - full.height) <= 1;
  }
  function install(Plotly) {
    var plots = Plotly && Plotly.Plots;
    if (!plots || plots.resize.bjSameSize) {
      return;
    }
    var resize = plots.resize;
    plots.resize = function (gd) {
      var div = typeof gd === "string" ? document.getElementById(gd) : gd;
      return sameSize(div) ? Promise.resolve(div) : resize.apply(this, arguments);
    };
    plots.resize.bjSameSize = true;
  }
  // dash-renderer loads plotly.js with a script element when the first graph mounts: this listener (capture
  // phase, so before the element's own onload lets the graph plot) patches it as soon as it has run.
  install(window.Plotly);
  document.addEventListener("load", function (event) {
    if (event.target && event.target.tagName === "SCRIPT") {
      install(window.Plotly);
    }
  }, true);
})();
