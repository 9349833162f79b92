// The counter's camera: where the browser can read QR codes itself
// (BarcodeDetector, e.g. Chrome on Android), a "Scan" button shows; a code
// read from the camera is put in the field and sent as if typed. Without it
// the counter works as before: the code is typed.
(function () {
  "use strict";
  var scan = document.getElementById("scan");
  var video = document.getElementById("camera");
  var field = document.getElementById("code");
  if (!scan || !video || !field || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  scan.hidden = false;
  scan.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var look = function () {
        detector.detect(video).then(function (found) {
          if (found.length > 0) {
            stream.getTracks().forEach(function (track) { track.stop(); });
            field.value = found[0].rawValue;
            field.form.submit();
          } else {
            window.setTimeout(look, 200);
          }
        }, function () { window.setTimeout(look, 500); });
      };
      look();
    }, function () { scan.hidden = true; });
  });
})();
