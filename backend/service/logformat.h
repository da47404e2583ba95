#pragma once

#include <QString>

namespace fleetdeck {

// Log lines as text (default) or as one JSON object per line, which Loki and friends index without
// parsing rules: {"ts":"…","level":"info","category":"fleetdeck.kafka","msg":"…","pid":123}.
enum class LogFormat { Text, Json };

// Installs the process-wide message handler for `format`; call once at start-up.
void installLogFormat(LogFormat format);

// "text" or "json"; false for anything else.
[[nodiscard]] bool parseLogFormat(const QString &name, LogFormat *format);

}  // namespace fleetdeck
