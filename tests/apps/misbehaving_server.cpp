#include "misbehaving_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace echo_test {

namespace {

struct Client {
  eddy::UniqueFd socket;
  std::size_t offset = 0;  // bytes of its stream received so far
};

// Writes all of `data` to a blocking socket; false when the peer is gone.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

MisbehavingServer::MisbehavingServer(Behaviour behaviour, std::size_t at) : behaviour_(behaviour), at_(at) {
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (!listener_ || ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(listener_.get(), 128) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error(std::string("misbehaving server: cannot listen: ") + std::strerror(errno));
  }
  port_ = ntohs(address.sin_port);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("misbehaving server: pipe: ") + std::strerror(errno));
  }
  wake_read_.reset(pipe_fds[0]);
  wake_write_.reset(pipe_fds[1]);
  thread_ = std::thread([this] { run(); });
}

MisbehavingServer::~MisbehavingServer() {
  const char byte = 0;
  static_cast<void>(::write(wake_write_.get(), &byte, 1));
  thread_.join();
}

void MisbehavingServer::run() {
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  std::vector<char> buffer(64 * 1024);
  while (true) {
    fds.assign({{wake_read_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}});
    for (const Client& client : clients) {
      fds.push_back({client.socket.get(), POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) {
      return;
    }
    if (fds[0].revents != 0) {
      return;  // the destructor asked us to stop
    }
    if ((fds[1].revents & POLLIN) != 0) {
      eddy::UniqueFd socket(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (socket) {
        clients.push_back(Client{std::move(socket), 0});
      }
    }
    // fds[2 + i] is clients[i] as it was before accepting; a new client is
    // polled from the next round.
    std::vector<bool> drop(clients.size(), false);
    for (std::size_t i = 0; i + 2 < fds.size(); ++i) {
      if (fds[i + 2].revents == 0) {
        continue;
      }
      Client& client = clients[i];
      const ssize_t n = ::recv(client.socket.get(), buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        drop[i] = n == 0 || errno != EINTR;
        continue;
      }
      auto size = static_cast<std::size_t>(n);
      const std::size_t begin = client.offset;
      client.offset += size;
      switch (behaviour_) {
        case Behaviour::kFlipByte:
          if (at_ >= begin && at_ < client.offset) {
            buffer[at_ - begin] = static_cast<char>(~buffer[at_ - begin]);
          }
          drop[i] = !write_all(client.socket.get(), buffer.data(), size);
          break;
        case Behaviour::kCloseAfter:
          size = begin >= at_ ? 0 : std::min(size, at_ - begin);
          drop[i] = !write_all(client.socket.get(), buffer.data(), size) || client.offset >= at_;
          break;
        case Behaviour::kBlackHole:
          break;
      }
    }
    for (std::size_t i = drop.size(); i-- > 0;) {
      if (drop[i]) {
        clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
}

}  // namespace echo_test
