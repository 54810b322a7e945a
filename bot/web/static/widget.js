// Quita web chat widget. Add to any page:
//   <script src="https://your-quita.example/static/widget.js" async></script>
// A round button opens the chat in a frame served by Quita (no cookies of the host page are
// shared; everything the debtor types goes to Quita over its own WebSocket).
"use strict";
(function () {
  var script = document.currentScript;
  var origin = new URL(script ? script.src : "/", location.href).origin;
  var label = (script && script.dataset.label) || "Fale com a gente";
  var open = false;

  var button = document.createElement("button");
  button.type = "button";
  button.id = "quita-widget-button";
  button.setAttribute("aria-label", label);
  button.textContent = label;
  button.style.cssText =
    "position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:999px;" +
    "padding:12px 18px;background:#0f766e;color:#fff;font:600 15px system-ui,sans-serif;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.2);cursor:pointer";

  var frame = document.createElement("iframe");
  frame.id = "quita-widget-frame";
  frame.title = label;
  frame.src = origin + "/chat";
  frame.style.cssText =
    "position:fixed;right:20px;bottom:80px;z-index:2147483000;width:min(380px,calc(100vw - 40px));" +
    "height:min(600px,calc(100vh - 120px));border:0;border-radius:16px;display:none;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.25);background:#fff";

  button.addEventListener("click", function () {
    open = !open;
    frame.style.display = open ? "block" : "none";
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();
