// The counter's camera: a "Scan" button that reads a voucher's QR code with
// the device's camera, puts the code in the field and sends it as if typed.
// The browser reads the code itself where it can (BarcodeDetector, e.g.
// Chrome on Android); elsewhere the vendored jsQR decoder is loaded, once,
// when the button is first pressed. Without a camera the code is typed.
(function () {
  "use strict";
  var scan = document.getElementById("scan");
  var video = document.getElementById("camera");
  var field = document.getElementById("code");
  if (!scan || !video || !field || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  scan.hidden = false;

  // A function that reads the code in the video's current frame (or null), when ready.
  function reader() {
    if ("BarcodeDetector" in window) {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return Promise.resolve(function () {
        return detector.detect(video).then(function (found) { return found.length ? found[0].rawValue : null; });
      });
    }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = scan.dataset.decoder;
      script.onerror = reject;
      script.onload = function () {
        var canvas = document.createElement("canvas");
        var context = canvas.getContext("2d", { willReadFrequently: true });
        resolve(function () {
          if (!video.videoWidth) return Promise.resolve(null);
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0);
          var frame = context.getImageData(0, 0, canvas.width, canvas.height);
          var found = window.jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
          return Promise.resolve(found ? found.data : null);
        });
      };
      document.head.appendChild(script);
    });
  }

  scan.addEventListener("click", function () {
    scan.disabled = true;
    Promise.all([reader(), navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })])
      .then(function (ready) {
        var read = ready[0];
        var stream = ready[1];
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var look = function () {
          read().then(function (code) {
            if (code) {
              stream.getTracks().forEach(function (track) { track.stop(); });
              field.value = code;
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
