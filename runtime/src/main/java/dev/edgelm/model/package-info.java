/** Models as the runtime runs them: opened, checked and (with later work) bound to their architecture. */
package dev.edgelm.model;
