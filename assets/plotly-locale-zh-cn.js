/* plotly.js's own words (chart toolbar tooltips, hover and date formats) in Simplified Chinese, registered
   as locale "zh-CN", which every dcc.Graph of the app selects in its config. Served from assets/ (offline):
   plotly.js loads after this file and takes the queued window.PlotlyLocales, as its own locale bundles do. */
(function () {
  var locale = {
    moduleType: "locale",
    name: "zh-CN",
    dictionary: {
      "Autoscale": "自动缩放", "Box Select": "矩形框选", "Click to enter Colorscale title": "点击输入色标标题",
      "Click to enter Component A title": "点击输入组件A标题", "Click to enter Component B title": "点击输入组件B标题",
      "Click to enter Component C title": "点击输入组件C标题", "Click to enter Plot title": "点击输入图表标题",
      "Click to enter X axis title": "点击输入X轴标题", "Click to enter Y axis title": "点击输入Y轴标题",
      "Click to enter radial axis title": "点击输入径向轴标题",
      "Compare data on hover": "悬停时比较数据", "Double-click on legend to isolate one trace": "双击图例只显示该序列",
      "Double-click to zoom back out": "双击还原缩放", "Download plot": "下载图表",
      "Download plot as a png": "下载图表（PNG）", "Download plot as a PNG": "下载图表（PNG）",
      "Download plot as a svg": "下载图表（SVG）", "Download plot as a SVG": "下载图表（SVG）",
      "Edit in Chart Studio": "在线编辑", "IE only supports svg.  Changing format to svg.": "IE 仅支持 SVG，已改为 SVG。",
      "Lasso Select": "套索选择", "Orbital rotation": "轨道旋转", "Pan": "平移", "Produced with Plotly.js": "由 Plotly.js 生成",
      "Reset": "重置", "Reset axes": "重置坐标轴", "Reset camera to default": "重置视角", "Reset camera to last save": "恢复上次视角",
      "Reset view": "重置视图", "Reset views": "重置视图", "Show closest data on hover": "悬停时显示最近的数据",
      "Snapshot succeeded": "截图成功", "Sorry, there was a problem downloading your snapshot!": "抱歉，下载截图时出错！",
      "Taking snapshot - this may take a few seconds": "正在截图，请稍候", "Toggle Spike Lines": "显示/隐藏辅助线",
      "Toggle show closest data on hover": "悬停时显示/隐藏最近的数据", "Turntable rotation": "转盘旋转",
      "Zoom": "缩放", "Zoom in": "放大", "Zoom out": "缩小", "close:": "收盘：", "high:": "最高：", "incoming flow count:": "流入数：",
      "kde:": "核密度：", "lat:": "纬度：", "lon:": "经度：", "low:": "最低：", "lower fence:": "下限：", "max:": "最大值：",
      "mean ± σ:": "均值 ± σ：", "mean:": "均值：", "median:": "中位数：", "min:": "最小值：", "new text": "新文本",
      "open:": "开盘：", "outgoing flow count:": "流出数：", "q1:": "第一四分位：", "q3:": "第三四分位：", "source:": "来源：",
      "target:": "目标：", "trace": "序列", "upper fence:": "上限："
    },
    format: {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      date: "%Y-%m-%d", decimal: ".", thousands: ",", grouping: [3], currency: ["¥", ""]
    }
  };
  if (typeof window.Plotly === "undefined") {
    window.PlotlyLocales = window.PlotlyLocales || [];
    window.PlotlyLocales.push(locale);
  } else {
    window.Plotly.register(locale);
  }
})();
