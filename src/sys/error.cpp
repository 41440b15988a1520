#include "sys/error.hpp"

namespace eddy::sys {

void throw_last_error(const std::string& what) { throw std::system_error(last_error(), what); }

}  // namespace eddy::sys
