/* The body of the drop-in libevent_extra-2.1.so.7 and
 * libevent_pthreads-2.1.so.7: nothing but a dependency on eddy's
 * libevent_core-2.1.so.7, which defines their API (compat/CMakeLists.txt).
 * ISO C wants a translation unit to declare something. */
typedef int eddy_dropin_shim;
