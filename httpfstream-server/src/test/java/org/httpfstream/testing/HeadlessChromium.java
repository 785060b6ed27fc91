package org.httpfstream.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium ({@code chromium} and {@code chromium-driver}) driven by Selenium, for the
 * browser tests: one per test class, started in {@code @BeforeAll} and quit in {@code @AfterAll}. Where
 * it is not installed the test class is skipped, except on CI ({@code CI=true}), where that fails.
 *
 * <p>Thread safety: stateless; a driver it returns belongs to the test class that started it.
 */
public final class HeadlessChromium {
    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private HeadlessChromium() {}

    /** A new headless browser with {@code extraArguments} (such as a window size) after the usual ones. */
    public static ChromeDriver start(String... extraArguments) {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String missing = "headless Chromium is not installed (" + CHROMIUM + ", " + CHROMEDRIVER
                + "): install the Debian packages chromium and chromium-driver";
        if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(missing);
        }
        Assumptions.assumeTrue(present, missing);
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--no-first-run", "--disable-extensions")
                .addArguments(extraArguments);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }
}
