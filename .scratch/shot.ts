import { chromium } from 'playwright-core';
(async () => {
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const p = await b.newPage({ viewport: { width: 1280, height: 900 } });
  await p.goto('file:///tmp/ana/report.html');
  await p.screenshot({ path: '/tmp/ana/report.png', fullPage: true });
  await b.close();
})();
