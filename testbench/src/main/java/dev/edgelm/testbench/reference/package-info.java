/**
 * A plain, scalar float32 forward pass ({@link dev.edgelm.testbench.reference.ReferenceModel}) for every
 * architecture EdgeLM supports, used as an oracle for EdgeLM's optimized runtime, itself checked against llama.cpp.
 */
package dev.edgelm.testbench.reference;
