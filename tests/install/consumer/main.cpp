// Uses an installed eddy the way a program would: a loopback echo on one
// loop (TcpListener, connect(), TcpConnection, Buffer) with a Timer as its
// deadline, and a posted task. Prints one line naming the backend and the
// version, and exits 0 only when the message came back whole and the task
// ran.
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

int main() {
  constexpr std::string_view kMessage = "hello from an installed eddy\n";
  eddy::Loop loop;
  eddy::TcpConnection::Ptr served;
  eddy::TcpConnection::Ptr client;
  std::string echoed;
  bool task_ran = false;

  eddy::TcpListener listener(loop, [&](eddy::UniqueFd socket, const eddy::SocketAddress&) {
    served = eddy::TcpConnection::adopt(loop, std::move(socket));
    served->on_data([](eddy::TcpConnection& connection, eddy::Buffer& input) { connection.write(std::move(input)); });
    served->start();
  });
  if (std::error_code error = listener.listen(*eddy::SocketAddress::parse("127.0.0.1", 0))) {
    std::fprintf(stderr, "eddy consumer: cannot listen on 127.0.0.1:0: %s\n", error.message().c_str());
    return 1;
  }

  eddy::connect(loop, listener.local_address(), std::chrono::seconds(5),
                [&](std::error_code error, eddy::TcpConnection::Ptr connection) {
                  if (error) {
                    std::fprintf(stderr, "eddy consumer: cannot connect: %s\n", error.message().c_str());
                    loop.stop();
                    return;
                  }
                  client = std::move(connection);
                  client->on_data([&](eddy::TcpConnection&, eddy::Buffer& input) {
                    std::string chunk(input.size(), '\0');
                    input.remove(chunk.data(), chunk.size());
                    echoed += chunk;
                    if (echoed.size() >= kMessage.size()) {
                      loop.stop();
                    }
                  });
                  client->start();
                  client->write(kMessage);
                });
  eddy::Timer deadline(loop, [&loop] { loop.stop(); });
  deadline.start(std::chrono::seconds(10));
  loop.post([&task_ran] { task_ran = true; });
  loop.run();

  if (echoed != kMessage || !task_ran) {
    std::fprintf(stderr, "eddy consumer: echoed \"%s\" instead of \"%s\"; posted task ran: %d\n", echoed.c_str(),
                 std::string(kMessage).c_str(), task_ran);
    return 1;
  }
  std::printf("eddy consumer OK: backend=%s version=%s\n", std::string(loop.backend_name()).c_str(),
              EDDY_VERSION_STRING);
  return 0;
}
