// Qt Quick Tests of the console's QML: runs every tst_*.qml in this folder. The setup object
// registers the console's types, adds the import path of the QML compiled into the binary, and
// gives each test file's engine a fresh ConsoleFixture as the context property `fixture`: Qt Quick
// Test creates the test's root object itself, so it cannot take required properties.

#include "consolefixture.h"
#include "consoletypes.h"

#include <QQmlContext>
#include <QQmlEngine>
#include <QtQuickTest/quicktest.h>

namespace fleetdeck {

// Thread: main.
class ConsoleTestSetup : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    void applicationAvailable() { registerConsoleTypes(); }

    void qmlEngineAvailable(QQmlEngine *engine)
    {
        addConsoleImportPath(engine);
        engine->rootContext()->setContextProperty(QStringLiteral("fixture"), new ConsoleFixture(engine));
    }
};

}  // namespace fleetdeck

QUICK_TEST_MAIN_WITH_SETUP(tst_consoleqml, fleetdeck::ConsoleTestSetup)

#include "tst_consoleqml.moc"
