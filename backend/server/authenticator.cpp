#include "authenticator.h"

#include "logging.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QTimeZone>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace fleetdeck {

namespace {

int g_hangupFds[2] = {-1, -1};

extern "C" void onHangup(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(g_hangupFds[0], &byte, 1);
}

std::optional<std::int64_t> parseExpiry(const QString &text)
{
    QDateTime when = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!when.isValid()) {
        const QDate date = QDate::fromString(text, Qt::ISODate);
        if (!date.isValid())
            return std::nullopt;
        when = date.startOfDay(QTimeZone::utc());
    }
    // ISO text without an offset is read as UTC, not as this machine's local time.
    if (when.timeSpec() == Qt::LocalTime)
        when.setTimeZone(QTimeZone::utc());
    return when.toMSecsSinceEpoch();
}

}  // namespace

namespace auth {

QByteArray sha256(const QByteArray &token)
{
    return QCryptographicHash::hash(token, QCryptographicHash::Sha256);
}

bool constantTimeEqual(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;  // sizes are public: every hash is 32 bytes
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

QByteArray generateToken()
{
    QByteArray random(32, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(random.data()),
                                         reinterpret_cast<quint32 *>(random.data() + random.size()));
    return "fdt_" + random.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

std::optional<teleop::Role> parseRole(const QString &text)
{
    if (text == QLatin1String("viewer"))
        return teleop::Role::Viewer;
    if (text == QLatin1String("operator"))
        return teleop::Role::Operator;
    if (text == QLatin1String("admin"))
        return teleop::Role::Admin;
    return std::nullopt;
}

QString roleName(teleop::Role role)
{
    switch (role) {
    case teleop::Role::Viewer: return QStringLiteral("viewer");
    case teleop::Role::Operator: return QStringLiteral("operator");
    case teleop::Role::Admin: return QStringLiteral("admin");
    }
    return {};
}

QString tokenLine(const QString &name, teleop::Role role, const QByteArray &token, std::int64_t expiresUnixMs)
{
    QString line = name + QLatin1Char(' ') + roleName(role) + QLatin1Char(' ') + QString::fromLatin1(sha256(token).toHex());
    if (expiresUnixMs > 0)
        line += QLatin1Char(' ') + QDateTime::fromMSecsSinceEpoch(expiresUnixMs, QTimeZone::utc()).toString(Qt::ISODate);
    return line;
}

std::vector<AccessToken> parseTokens(const QString &text, const QString &source, QStringList *errors)
{
    static const QRegularExpression kName(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"));
    static const QRegularExpression kHash(QStringLiteral("^[0-9a-fA-F]{64}$"));
    static const QRegularExpression kSpace(QStringLiteral("\\s+"));
    std::vector<AccessToken> tokens;
    const QStringList lines = text.split(QRegularExpression(QStringLiteral("[\\n;]")));
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        const QString where = QStringLiteral("%1:%2").arg(source).arg(i + 1);
        const QStringList fields = line.split(kSpace);
        if (fields.size() < 3 || fields.size() > 4) {
            errors->append(QStringLiteral("%1: expected NAME ROLE SHA256HEX [EXPIRES], got %2 fields").arg(where).arg(fields.size()));
            continue;
        }
        AccessToken token;
        token.name = fields[0];
        if (!kName.match(token.name).hasMatch()) {
            errors->append(QStringLiteral("%1: the name must be 1 to 64 letters, digits or . _ @ -").arg(where));
            continue;
        }
        const std::optional<teleop::Role> role = parseRole(fields[1]);
        if (!role) {
            errors->append(QStringLiteral("%1: role \"%2\" is not viewer, operator or admin").arg(where, fields[1].left(20)));
            continue;
        }
        token.role = *role;
        // A token pasted instead of its hash would sit in the file in clear: refused, and not echoed.
        if (!kHash.match(fields[2]).hasMatch()) {
            errors->append(QStringLiteral("%1: the third field must be the token's SHA-256 as 64 hex digits "
                                          "(fleetdeckd --hash-token), not the token").arg(where));
            continue;
        }
        token.sha256 = QByteArray::fromHex(fields[2].toLatin1());
        if (fields.size() == 4) {
            const std::optional<std::int64_t> expires = parseExpiry(fields[3]);
            if (!expires) {
                errors->append(QStringLiteral("%1: expiry \"%2\" is not an ISO 8601 date or date and time").arg(where, fields[3].left(40)));
                continue;
            }
            token.expiresUnixMs = *expires;
        }
        tokens.push_back(std::move(token));
    }
    return tokens;
}

}  // namespace auth

QString Authenticator::Identity::reason() const
{
    switch (verdict) {
    case Verdict::Valid: return {};
    case Verdict::Missing: return QStringLiteral("unauthenticated: no token");
    case Verdict::Unknown: return QStringLiteral("unauthenticated: unknown or revoked token");
    case Verdict::Expired: return QStringLiteral("unauthenticated: token expired");
    }
    return {};
}

Authenticator::Authenticator(const Clock *clock, QObject *parent) : QObject(parent), m_clock(clock) {}

Authenticator::~Authenticator()
{
    if (m_hangup) {
        ::signal(SIGHUP, SIG_DFL);
        ::close(g_hangupFds[0]);
        ::close(g_hangupFds[1]);
        g_hangupFds[0] = g_hangupFds[1] = -1;
    }
}

bool Authenticator::setSources(const QString &fileName, const QString &inlineTokens, QStringList *errors)
{
    m_fileName = fileName;
    m_inline = inlineTokens;
    bool fileReadable = true;
    std::vector<AccessToken> tokens;
    const bool ok = read(&tokens, errors, &fileReadable) && fileReadable;
    m_tokens = std::move(tokens);
    return ok;
}

bool Authenticator::read(std::vector<AccessToken> *tokens, QStringList *errors, bool *fileReadable) const
{
    const qsizetype before = errors->size();
    *tokens = auth::parseTokens(m_inline, QStringLiteral("FLEETDECKD_AUTH_TOKENS"), errors);
    if (!m_fileName.isEmpty()) {
        QFile file(m_fileName);
        if (!file.open(QIODevice::ReadOnly)) {
            *fileReadable = false;
            errors->append(QStringLiteral("auth.tokens_file %1: %2").arg(m_fileName, file.errorString()));
        } else {
            for (AccessToken &token : auth::parseTokens(QString::fromUtf8(file.readAll()), m_fileName, errors))
                tokens->push_back(std::move(token));
        }
    }
    return errors->size() == before;
}

bool Authenticator::reload(QStringList *errors)
{
    bool fileReadable = true;
    std::vector<AccessToken> tokens;
    const bool ok = read(&tokens, errors, &fileReadable);
    if (!fileReadable)
        return false;
    m_tokens = std::move(tokens);
    qCInfo(lcServer) << "access tokens reloaded:" << m_tokens.size() << "tokens";
    Q_EMIT reloaded();
    return ok;
}

void Authenticator::watch()
{
    const auto reloadAndLog = [this] {
        QStringList errors;
        reload(&errors);
        for (const QString &error : std::as_const(errors))
            qCWarning(lcServer).noquote() << "access tokens:" << error;
        // A rename-on-save replaces the watched file: watch the new one.
        if (m_watcher && !m_fileName.isEmpty() && !m_watcher->files().contains(m_fileName) && QFileInfo::exists(m_fileName))
            m_watcher->addPath(m_fileName);
    };
    if (!m_fileName.isEmpty() && !m_watcher) {
        m_watcher = new QFileSystemWatcher(this);
        m_watcher->addPath(m_fileName);
        // The directory too: an editor's rename or a Kubernetes Secret's symlink swap shows there.
        m_watcher->addPath(QFileInfo(m_fileName).absolutePath());
        connect(m_watcher, &QFileSystemWatcher::fileChanged, this, reloadAndLog);
        connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, reloadAndLog);
    }
    if (!m_hangup && g_hangupFds[0] < 0 && ::socketpair(AF_UNIX, SOCK_STREAM, 0, g_hangupFds) == 0) {
        m_hangup = new QSocketNotifier(g_hangupFds[1], QSocketNotifier::Read, this);
        connect(m_hangup, &QSocketNotifier::activated, this, [reloadAndLog] {
            char byte = 0;
            [[maybe_unused]] const auto got = ::read(g_hangupFds[1], &byte, 1);
            qCInfo(lcServer) << "SIGHUP: reloading access tokens";
            reloadAndLog();
        });
        struct sigaction action = {};
        action.sa_handler = onHangup;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        ::sigaction(SIGHUP, &action, nullptr);
    }
}

Authenticator::Identity Authenticator::authenticate(const QByteArray &presentedToken) const
{
    Identity identity;
    if (presentedToken.isEmpty()) {
        identity.verdict = Verdict::Missing;
        return identity;
    }
    if (presentedToken.size() > auth::kMaxTokenBytes)
        return identity;
    return recheck(auth::sha256(presentedToken));
}

Authenticator::Identity Authenticator::recheck(const QByteArray &tokenHash) const
{
    Identity identity;
    // Every entry is compared, match or not, so timing does not tell which entry (if any) matched.
    const AccessToken *match = nullptr;
    for (const AccessToken &token : m_tokens) {
        const bool equal = auth::constantTimeEqual(token.sha256, tokenHash);
        match = equal && !match ? &token : match;
    }
    if (!match)
        return identity;
    identity.name = match->name;
    identity.role = match->role;
    identity.tokenHash = tokenHash;
    identity.expiresUnixMs = match->expiresUnixMs;
    identity.verdict = match->expiresUnixMs > 0 && m_clock->nowUnixMs() >= match->expiresUnixMs ? Verdict::Expired
                                                                                               : Verdict::Valid;
    return identity;
}

}  // namespace fleetdeck
