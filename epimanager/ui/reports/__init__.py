"""Monthly reports (preview, print, export) and the F7 work-reminder panel."""
