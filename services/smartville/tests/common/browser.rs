//! A real browser for the page tests: Debian's Chromium, headless, driven
//! over WebDriver (chromedriver) by fantoccini, with axe-core judging
//! accessibility in the page. Chromium and chromedriver are installed with
//! apt-get, and axe-core with npm, when missing (one test process at a
//! time). Screenshots go to `target/tmp/screenshots/` for a reviewer to look
//! at; they are not committed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::process::{Child, Command};

/// The axe-core release the accessibility checks run.
const AXE_CORE: &str = "axe-core@4.14.1";

/// A headless Chromium with its driver.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

/// Where the tools and screenshots of the page tests are kept.
fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// Runs `script` with `sh -c` under a lock shared by every test process, so that
/// two installs never run at once; panics with `what` when it fails.
fn install_once(script: &str, what: &str) {
    let lock = work_dir().join("web-tools.lock");
    let status = std::process::Command::new("flock").arg(&lock).args(["sh", "-c", script]).status();
    assert!(status.is_ok_and(|s| s.success()), "{what} could not be installed");
}

/// Chromium and chromedriver from Debian's packages, installed when missing.
fn chromium() {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return;
    }
    install_once(
        "test -x /usr/bin/chromedriver || { export DEBIAN_FRONTEND=noninteractive; \
         apt-get install -y -q chromium chromium-driver || { apt-get update -q && apt-get install -y -q chromium chromium-driver; }; }",
        "Chromium (apt-get install chromium chromium-driver)",
    );
}

/// axe-core's script, installed with npm into the target folder when missing.
fn axe_source() -> String {
    let prefix = work_dir().join("web-tools");
    let script = prefix.join("node_modules/axe-core/axe.min.js");
    if !script.exists() {
        let prefix = prefix.display();
        install_once(
            &format!(
                "test -f {prefix}/node_modules/axe-core/axe.min.js || npm install --silent --no-save --prefix {prefix} {AXE_CORE}"
            ),
            AXE_CORE,
        );
    }
    std::fs::read_to_string(&script).unwrap()
}

/// A free port on loopback for chromedriver.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, 1280 px wide, asking for Dutch pages.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts the browser as [`Browser::start`] does, its camera showing the video `video`
    /// (YUV4MPEG2) and every page allowed to use it.
    pub async fn with_camera(video: &Path) -> Self {
        let camera = format!("--use-file-for-fake-video-capture={}", video.display());
        Self::start_with(&[
            "--use-fake-ui-for-media-stream".into(),
            "--use-fake-device-for-media-stream".into(),
            camera,
        ])
        .await
    }

    async fn start_with(extra_args: &[String]) -> Self {
        chromium();
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, which ends with it (see `Drop`).
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        // As root in a container, without a GPU, and without reaching for Google's
        // services (this machine's network refuses them).
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
        ]
        .map(String::from)
        .into();
        args.extend_from_slice(extra_args);
        let options = json!({
            "binary": "/usr/bin/chromium",
            "args": args,
            // A Flemish visitor's browser: Dutch first.
            "prefs": {"intl.accept_languages": "nl-BE,nl,en"},
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let mut last_error = None;
        for _ in 0..50 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&url).await {
                Ok(client) => return Self { client, driver },
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("no browser session: {last_error:?}");
    }

    /// Opens `url` and waits for its page.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Makes the page `width` CSS pixels wide (the window, as a phone's or a desk's screen).
    pub async fn resize(&self, width: u32) {
        self.client.set_window_size(width, 900).await.unwrap();
        let inner = self.client.execute("return window.innerWidth", vec![]).await.unwrap();
        assert_eq!(inner.as_u64(), Some(u64::from(width)), "the window did not take the width");
    }

    /// The text of the first element `css` selects.
    pub async fn text(&self, css: &str) -> String {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}")).text().await.unwrap()
    }

    /// An attribute of the first element `css` selects.
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.client.find(Locator::Css(css)).await.unwrap().attr(name).await.unwrap()
    }

    /// Clicks the first element `css` selects.
    pub async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}")).click().await.unwrap();
    }

    /// Types `text` into the field `css` selects, in place of what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no {css}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// The address of the page shown.
    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Clicks the button `css` selects that sends a form, and waits for the page that answers.
    pub async fn submit(&self, css: &str) {
        self.client.execute("window.smartvilleOldPage = true", vec![]).await.unwrap();
        self.click(css).await;
        self.wait_for_next_page(css).await;
    }

    /// Runs `script` in the page, which leads to another page, and waits for that page.
    pub async fn run_to_next_page(&self, script: &str) {
        self.client.execute("window.smartvilleOldPage = true", vec![]).await.unwrap();
        self.client.execute(script, vec![]).await.unwrap();
        self.wait_for_next_page(script).await;
    }

    async fn wait_for_next_page(&self, after: &str) {
        let arrived = "return window.smartvilleOldPage === undefined && document.readyState === 'complete'";
        for _ in 0..200 {
            if self.client.execute(arrived, vec![]).await.is_ok_and(|done| done.as_bool() == Some(true)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{after} led to no page within 10 s");
    }

    /// The elements that stick out of the window's width (the page scrolls
    /// sideways because of them), each as `tag.class`: none when the page fits.
    pub async fn wider_than_window(&self) -> Vec<String> {
        let script = "if (document.documentElement.scrollWidth <= window.innerWidth) return [];\n\
            return Array.from(document.querySelectorAll('body *'))\n\
              .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)\n\
              .map((e) => e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined ? '.' + e.className : ''));";
        let wide = self.client.execute(script, vec![]).await.unwrap();
        wide.as_array().unwrap().iter().filter_map(|e| e.as_str().map(str::to_owned)).collect()
    }

    /// The bytes the page and what it loaded took on the wire (bodies as sent, compressed).
    pub async fn weight(&self) -> u64 {
        let script = "return [performance.getEntriesByType('navigation'), performance.getEntriesByType('resource')]\
            .flat().reduce((sum, entry) => sum + entry.encodedBodySize, 0)";
        self.client.execute(script, vec![]).await.unwrap().as_u64().unwrap()
    }

    /// Every address the page loaded (itself, its style sheets, scripts, pictures).
    pub async fn loaded(&self) -> Vec<String> {
        let script = "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name))";
        let loaded = self.client.execute(script, vec![]).await.unwrap();
        loaded.as_array().unwrap().iter().filter_map(|url| url.as_str().map(str::to_owned)).collect()
    }

    /// The serious and critical WCAG 2.1 A/AA violations axe-core finds on
    /// the page, one line each: rule, what it asks, where.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let script = format!(
            "{}\nconst done = arguments[arguments.length - 1];\n\
             axe.run(document, {{runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\n\
               .then(result => done(result.violations), error => done([{{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}}]));",
            axe_source()
        );
        let violations = self.client.execute_async(&script, vec![]).await.unwrap();
        violations
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                let targets: Vec<String> =
                    v["nodes"].as_array().into_iter().flatten().take(3).map(|n| n["target"].to_string()).collect();
                format!(
                    "{}: {} at {}",
                    v["id"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or("?"),
                    targets.join(", ")
                )
            })
            .collect()
    }

    /// Writes a screenshot of the whole page, as wide as the window, to
    /// `target/tmp/screenshots/{name}.png` (the window grows to the page's
    /// height for it, then shrinks back).
    pub async fn screenshot(&self, name: &str) {
        let folder = work_dir().join("screenshots");
        std::fs::create_dir_all(&folder).unwrap();
        let size = "return [window.innerWidth, document.documentElement.scrollHeight]";
        let size = self.client.execute(size, vec![]).await.unwrap();
        let [width, height] = [0, 1].map(|i| u32::try_from(size[i].as_u64().unwrap()).unwrap());
        // The window's frame takes some of its height: a margin keeps the page's foot in the picture.
        self.client.set_window_size(width, (height + 160).clamp(900, 8000)).await.unwrap();
        let png = self.client.screenshot().await.unwrap();
        self.client.set_window_size(width, 900).await.unwrap();
        std::fs::write(folder.join(format!("{name}.png")), png).unwrap();
    }

    /// Ends the session and the driver.
    pub async fn stop(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// Ends chromedriver with the Chromium it started (which a killed
    /// chromedriver leaves running): the whole process group, also when a
    /// test panicked before `stop`.
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).status();
        }
    }
}
