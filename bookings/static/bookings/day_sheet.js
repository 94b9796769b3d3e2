// The day sheet's "Collected" button sends where the phone is, when the browser gives it (asked on the tap; a refusal
// or no answer within 8 seconds sends the form without a position). Served as a file: the CSP allows no inline script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-geolocate]")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.located || !("geolocation" in navigator)) return;
      event.preventDefault();
      const send = () => { form.dataset.located = "1"; form.submit(); };
      navigator.geolocation.getCurrentPosition(
        (position) => {
          form.elements.latitude.value = position.coords.latitude.toFixed(6);
          form.elements.longitude.value = position.coords.longitude.toFixed(6);
          send();
        },
        send,
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 },
      );
    });
  }
});
