"""Events: what happened to projects (scans finished or failed, findings added or closed by
monitoring), who is told (policy, channels, notifiers, deliveries with retries), continuous
monitoring of advisory deltas and the scheduler that syncs advisories.

Entry points for the pipeline, queue engines and API:

- `scan_events.on_scan_finished(db, settings, scan_id)`: record SCAN_FINISHED / SCAN_FAILED,
  queue its notifications, and catch the scan up with advisory runs monitoring applied while it
  ran (call it from the pipeline's scan-finished hook).
- `monitoring.process_pending_runs(db, settings)`: match every unprocessed advisory run's delta
  against the latest inventory of every monitored branch.
- `external.apply_external_delta(db, settings, advisory_ids=..., records=...)`: POST /delta/.
- `delivery.deliver_due(db, settings)`: send due notifications (a beat task or `DeliveryLoop`).
- `scheduler.run_sync_cycle(db, settings)`: sync, monitor, deliver under the cluster-wide lock
  (a beat task, or `SyncScheduler` in the embedded engine).
- `channels.set_channels` / `present_channels`, `policy.parse_policy`, `history.list_events` /
  `list_notifications`: what the API shows and changes.
"""
