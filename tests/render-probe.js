// tests/render-probe.js - put first into a copy of a report by render.test: what the browser rendered, as one line in the DOM.
(function () {
	var errors = [];
	var error = console.error;

	// The report has no script of its own: any console error or failed load is a fault.
	console.error = function () {
		errors.push(Array.prototype.join.call(arguments, ' '));
		error.apply(console, arguments);
	};
	window.addEventListener('error', function (e) {
		var t = e.target;

		errors.push(t && t.getAttribute && t.getAttribute('src') ?
			'cannot load ' + t.getAttribute('src') : String(e.message));
	}, true);
	window.addEventListener('load', function () {
		var lines = document.querySelectorAll('#verdict li');
		var last = lines.length ? lines[lines.length - 1].getBoundingClientRect() : null;
		var imgs = document.images, broken = [], nav, out, pre;

		for (var i = 0; i < imgs.length; i++)
			if (!imgs[i].complete || imgs[i].naturalWidth === 0)
				broken.push(imgs[i].getAttribute('src'));
		nav = performance.getEntriesByType('navigation')[0];
		out = {
			verdict_lines: lines.length,
			verdict_bottom: last ? Math.round(last.bottom) : -1,
			viewport_height: window.innerHeight,
			first_line: lines.length ? lines[0].textContent : '',
			images: imgs.length,
			broken: broken,
			errors: errors,
			load_ms: nav ? Math.round(nav.loadEventStart) : -1
		};
		pre = document.createElement('pre');
		pre.textContent = 'RENDER-PROBE ' + JSON.stringify(out);
		document.body.appendChild(pre);
	});
})();
