/**
 * Test support shared by every package's tests and the cross-package ones: comparisons, seeded
 * random tensors, recurrent-kernel configurations, gradient-check assertions and an ONNX oracle.
 * Test files import it by relative path (`../../../tests/support`).
 */
export * from './close';
export * from './onnx';
export * from './temp_env';
export * from './tfjs_io';
export * from './models';
