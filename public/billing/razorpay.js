// Opens Razorpay's Standard Checkout for the subscription named on the page's "Pay with
// Razorpay" button. Razorpay then posts the signed result to Viva's return address (redirect
// mode), which verifies it. Loaded only on /account/billing/razorpay, after Razorpay's script.
(function () {
  'use strict';
  function start() {
    var b = document.getElementById('rzp-pay');
    if (!b || typeof window.Razorpay !== 'function') return false;
    b.addEventListener('click', function () {
      var d = b.dataset;
      new window.Razorpay({
        key: d.key,
        subscription_id: d.subscription,
        name: d.name,
        description: d.description,
        prefill: { email: d.email },
        callback_url: window.location.origin + d.callback,
        redirect: true,
      }).open();
    });
    return true;
  }
  if (!start()) {
    window.addEventListener('load', start);
  }
})();
