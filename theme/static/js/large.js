/* 长辈模式: the 「大字版」 link keeps its choice in this browser (without JavaScript it works
   for the page it is on, through #large); 「朗读」 reads the page's summary aloud with the
   browser's own speech synthesis, and is not shown where there is none. */
(function () {
  var root = document.documentElement, key = "liangshai-large";
  function remember(on) {
    try { localStorage.setItem(key, on ? "1" : "0"); } catch (e) { /* private mode */ }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".to-large, .to-normal");
    if (!link) return;  // the link itself goes on to #large or # (which :target follows)
    var on = link.classList.contains("to-large");
    root.classList.toggle("large", on);
    remember(on);
  });
  if (!("speechSynthesis" in window) || !window.SpeechSynthesisUtterance) return;
  var slot = document.querySelector(".switches");
  if (!slot) return;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "read-aloud";
  button.textContent = "朗读";
  button.addEventListener("click", function () {
    var parts = document.querySelectorAll("main .page-head, main .flags, main #complain");
    var text = Array.prototype.map.call(parts, function (n) { return n.innerText; }).join("。");
    var say = new SpeechSynthesisUtterance(text || document.title);
    say.lang = "zh-CN";
    say.rate = 0.9;
    speechSynthesis.cancel();
    speechSynthesis.speak(say);
  });
  slot.appendChild(button);
})();
