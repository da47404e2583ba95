// The whole product as a user starts it: `fleetdeck --screenshot` in a real X window (Xvfb), which
// starts the demo backend (embedded Kafka + simulator), connects, draws the city and the robots, and
// writes a PNG. The test then looks at the picture: map drawn, robots drawn in their mode colours.

#include "modepalette.h"

#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace fleetdeck;

namespace {

bool near(QRgb pixel, const QColor &colour, int tolerance = 18)
{
    return std::abs(qRed(pixel) - colour.red()) <= tolerance && std::abs(qGreen(pixel) - colour.green()) <= tolerance
        && std::abs(qBlue(pixel) - colour.blue()) <= tolerance;
}

}  // namespace

class TestConsoleScreenshot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void demoShowsRobotsOnTheCityMap()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString png = dir.filePath(QStringLiteral("console.png"));
        QProcess console;
        console.setProcessChannelMode(QProcess::ForwardedChannels);
        console.start(QStringLiteral(FLEETDECK_BINARY),
                      {QStringLiteral("--robots"), QStringLiteral("300"), QStringLiteral("--size"),
                       QStringLiteral("1280x800"), QStringLiteral("--screenshot"), png,
                       QStringLiteral("--screenshot-settle-ms"), QStringLiteral("1500")});
        QVERIFY2(console.waitForFinished(90'000), "the console did not finish");
        QCOMPARE(console.exitStatus(), QProcess::NormalExit);
        QCOMPARE(console.exitCode(), 0);

        const QImage image(png);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), QSize(1280, 800));

        // The map area is left of the 400 px side panel and below the 44 px status bar.
        const QRect map(0, 50, image.width() - 400, image.height() - 50);
        int robotPixels = 0;
        QSet<QRgb> distinct;
        const Mode driving[] = {Mode::Autonomous, Mode::Delivering, Mode::Returning, Mode::WaitingToCross,
                                Mode::Idle, Mode::Charging};
        for (int y = map.top(); y <= map.bottom(); y += 1) {
            for (int x = map.left(); x <= map.right(); x += 1) {
                const QRgb pixel = image.pixel(x, y);
                if (distinct.size() < 5000)
                    distinct.insert(pixel);
                for (Mode mode : driving) {
                    if (near(pixel, modePaletteColor(mode))) {
                        ++robotPixels;
                        break;
                    }
                }
            }
        }
        // A drawn basemap has many shades (streets, buildings, water); an empty one has a handful.
        QVERIFY2(distinct.size() > 50, qPrintable(QStringLiteral("%1 distinct colours").arg(distinct.size())));
        // 300 robots of several pixels each; even partly hidden or clustered, far more than a few.
        QVERIFY2(robotPixels > 300, qPrintable(QStringLiteral("%1 robot-coloured pixels").arg(robotPixels)));
    }
};

QTEST_GUILESS_MAIN(TestConsoleScreenshot)
#include "tst_consolescreenshot.moc"
