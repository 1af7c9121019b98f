// The version of the WebSocket protocol at /ws that `hello` announces
// (docs/protocol.md). Bumped on any change a client could notice.
namespace turnpike::signal {
extern const int protocol_version;
const int protocol_version = 1;
}  // namespace turnpike::signal
