/** Machine API: long-running jobs (blockdev-create, snapshot-save/-load/-delete) as QMP's query-jobs shows them. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.machine.job;
