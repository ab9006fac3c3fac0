// Loaded after require.js and before the widget manager (embed-amd.js); see README.md.
(function () {
  // 1. Map the widget manager's AMD module names to this folder, so that the files it loads at run time
  //    (its icon fonts) come from the book's _static/widgets/ and not from a path relative to the page.
  var here = document.currentScript.src.replace(/\/[^/]*$/, "");
  require.config({ paths: { "@jupyter-widgets/html-manager/dist": here } });

  // 2. The widget manager typesets widget labels with the MathJax 2 API (MathJax.Hub.Queue); the book
  //    uses MathJax 3. Give MathJax 3 that one method, before the widgets render on the load event.
  window.addEventListener("load", function () {
    var mj = window.MathJax;
    if (mj && !mj.Hub) {
      mj.Hub = {
        Queue: function (cmd) {
          var el = cmd && cmd[2];
          var ready = (mj.startup && mj.startup.promise) || Promise.resolve();
          ready.then(function () { return window.MathJax.typesetPromise(el ? [el] : undefined); })
               .catch(function (e) { console.warn("widget label typesetting:", e); });
        },
      };
    }
  });
})();
