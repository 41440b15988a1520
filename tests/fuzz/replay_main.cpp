// A main() for the fuzzers without libFuzzer: runs LLVMFuzzerTestOneInput
// once on every file named on the command line, and on every regular file
// of every directory named there (not recursively). That makes the same
// fuzzer sources ordinary programs for any compiler, so the seed corpora
// and every crash saved in them are regression tests of the normal builds.
//
// Exit status: 0 when every input ran, 1 when a file could not be read or
// nothing was given. A failed check inside the fuzzer aborts, as under
// libFuzzer.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::fprintf(stderr, "running %s (%zu bytes)\n", path.c_str(), bytes.size());
  // A copy of exactly the file's size, so that ASan sees a read past it.
  std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.data(), input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> inside;
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) {
          inside.push_back(entry.path());
        }
      }
      if (ec) {
        std::fprintf(stderr, "cannot list %s: %s\n", arg.c_str(), ec.message().c_str());
        return 1;
      }
      std::sort(inside.begin(), inside.end());  // the same order on every run
      files.insert(files.end(), inside.begin(), inside.end());
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argc > 0 ? argv[0] : "replay");
    return 1;
  }
  for (const auto& file : files) {
    if (!run_file(file)) {
      return 1;
    }
  }
  std::fprintf(stderr, "%zu inputs ran\n", files.size());
  return 0;
}
