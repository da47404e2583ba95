#pragma once

#include "clock.h"
#include "leasemanager.h"

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

class QFileSystemWatcher;
class QSocketNotifier;

namespace fleetdeck {

// One line of the tokens file (or of FLEETDECKD_AUTH_TOKENS): who a token stands for, what it may
// do and until when. Only the token's SHA-256 is kept: the file is not a secret worth stealing.
struct AccessToken {
    QString name;  // becomes the operator name in leases, audit and acknowledgements
    teleop::Role role = teleop::Role::Viewer;
    QByteArray sha256;               // 32 raw bytes
    std::int64_t expiresUnixMs = 0;  // 0: never
};

namespace auth {

inline constexpr int kMaxTokenBytes = 512;
inline constexpr int kMaxNameChars = 64;

[[nodiscard]] QByteArray sha256(const QByteArray &token);
// Equal sizes compared byte by byte to the end: how long it takes says nothing of where they differ.
[[nodiscard]] bool constantTimeEqual(const QByteArray &a, const QByteArray &b);
// A new token: "fdt_" and 256 random bits, base64url.
[[nodiscard]] QByteArray generateToken();
[[nodiscard]] std::optional<teleop::Role> parseRole(const QString &text);
[[nodiscard]] QString roleName(teleop::Role role);
// The tokens file line for a token (its hash, never the token).
[[nodiscard]] QString tokenLine(const QString &name, teleop::Role role, const QByteArray &token, std::int64_t expiresUnixMs);
// Lines "NAME ROLE SHA256HEX [EXPIRES]" (EXPIRES ISO 8601, a date or a date and time, UTC unless
// it says otherwise), '#' comments and blank lines; ';' also ends a line (the environment variable is
// one line). Bad lines are left out, each with an error naming `source` and the line.
[[nodiscard]] std::vector<AccessToken> parseTokens(const QString &text, const QString &source, QStringList *errors);

}  // namespace auth

// Who a presented token stands for. Tokens come from a file (reloaded on SIGHUP and when the file
// changes) and from inline lines (the environment: a Kubernetes Secret); a presented token's hash
// is compared with every entry, without stopping at a match. Tokens are never logged: names are.
// Thread: main.
class Authenticator : public QObject
{
    Q_OBJECT

public:
    enum class Verdict { Valid, Missing, Unknown, Expired };
    Q_ENUM(Verdict)

    struct Identity {
        Verdict verdict = Verdict::Unknown;
        QString name;
        teleop::Role role = teleop::Role::Viewer;
        QByteArray tokenHash;
        std::int64_t expiresUnixMs = 0;
        // Why not, for the console's Goodbye and the log ("unknown token", "token expired", …).
        [[nodiscard]] QString reason() const;
    };

    explicit Authenticator(const Clock *clock, QObject *parent = nullptr);
    ~Authenticator() override;

    // Where tokens come from; reads them now. False with every bad line in `errors` (start-up
    // treats that as fatal; a reload keeps the good lines and logs the bad ones).
    [[nodiscard]] bool setSources(const QString &fileName, const QString &inlineTokens, QStringList *errors);
    // Reads the sources again and emits reloaded(). A missing or unreadable file keeps the tokens
    // it had (an editor's save is a rename: the file is briefly absent).
    bool reload(QStringList *errors);
    // Reloads when the tokens file changes and on SIGHUP. One instance per process watches SIGHUP.
    void watch();

    [[nodiscard]] Identity authenticate(const QByteArray &presentedToken) const;
    // A live session's token again, by its hash: still there, not expired, and its role now.
    [[nodiscard]] Identity recheck(const QByteArray &tokenHash) const;
    [[nodiscard]] int tokenCount() const { return int(m_tokens.size()); }

Q_SIGNALS:
    void reloaded();

private:
    [[nodiscard]] bool read(std::vector<AccessToken> *tokens, QStringList *errors, bool *fileReadable) const;

    const Clock *m_clock;
    QString m_fileName;
    QString m_inline;
    std::vector<AccessToken> m_tokens;
    QFileSystemWatcher *m_watcher = nullptr;
    QSocketNotifier *m_hangup = nullptr;
};

}  // namespace fleetdeck
