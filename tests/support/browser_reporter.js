/**
 * A jest reporter that says plainly, at the end of a run, when the browser tests were part of it
 * but could not run for want of a Chromium (they are skipped, not passed).
 */
const fs = require('fs');

class BrowserReporter {
  onRunComplete(_contexts, results) {
    const chromium = [process.env.CHROME_PATH, '/usr/bin/chromium'].filter(Boolean).find((p) => fs.existsSync(p));
    const ran = results.testResults.some((r) => /[\\/]tests[\\/]browser[\\/]/.test(r.testFilePath));
    if (ran && !chromium) {
      process.stderr.write(
        '\n\x1b[1;33m*** The browser tests did not run: no Chromium at /usr/bin/chromium (or CHROME_PATH). ' +
          'Install it with `apt-get install -y chromium` (.ci/run does). ***\x1b[0m\n\n',
      );
    }
  }
}

module.exports = BrowserReporter;
